import { BadRequestException, HttpException, HttpStatus, PayloadTooLargeException, UnsupportedMediaTypeException } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import express, { NextFunction, Request, Response } from 'express';

type ParserError = Error & { type?: string; status?: number };

/**
 * JSON, text and form parsers that keep the exact bytes received in `req.rawBody` (signatures are
 * verified over them) and turn parser failures into clear 4xx HttpExceptions for the one error
 * filter: invalid JSON 400, over MAX_BODY_BYTES 413, unsupported charset 415.
 */
export function registerBodyParsers(app: NestExpressApplication, maxBodyBytes: number): void {
  const keepRaw = (req: Request & { rawBody?: Buffer }, _res: Response, buf: Buffer) => {
    req.rawBody = buf;
  };
  const parsers = [
    express.json({ limit: maxBodyBytes, type: ['application/json', 'application/*+json'], verify: keepRaw }),
    express.text({ limit: maxBodyBytes, type: 'text/plain', verify: keepRaw }),
    express.urlencoded({ limit: maxBodyBytes, extended: false, verify: keepRaw }),
  ];
  for (const parser of parsers) {
    app.use((req: Request, res: Response, next: NextFunction) =>
      parser(req, res, (error?: unknown) => next(error ? toHttpException(error as ParserError, maxBodyBytes) : undefined)),
    );
  }
}

function toHttpException(error: ParserError, maxBodyBytes: number): HttpException {
  switch (error.type) {
    case 'entity.parse.failed':
      return new BadRequestException(`invalid JSON: ${error.message}`);
    case 'entity.too.large':
      return new PayloadTooLargeException(`request body exceeds the limit of ${maxBodyBytes} bytes (MAX_BODY_BYTES)`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new UnsupportedMediaTypeException(error.message);
    default: {
      const status = Number(error.status);
      return status >= 400 && status < 500
        ? new HttpException(error.message || 'bad request body', status)
        : new HttpException('could not read the request body', HttpStatus.BAD_REQUEST);
    }
  }
}
