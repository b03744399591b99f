import { BadRequestException, HttpException, HttpStatus, PayloadTooLargeException, UnsupportedMediaTypeException } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import express, { NextFunction, Request, Response } from 'express';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parse as parseQueryString } from 'node:querystring';
import type { Readable } from 'node:stream';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { InvalidJsonException, JsonTooDeepException, MAX_JSON_DEPTH, deferBodyError, jsonDepthExceeds } from '@hub/webhook-core';

/*
 * Body parsing for both HTTP adapters, with one behaviour: the exact bytes received are kept in
 * `req.rawBody` (signatures are verified over them); JSON (`application/json`, `application/*+json`),
 * `text/plain` and forms are parsed; other types are left unparsed for the route to refuse. Failures
 * are clear 4xx HttpExceptions, deferred until the route's guards have run (see DeferredBodyError: an
 * unauthenticated caller hears 401 first): invalid JSON (or nested deeper than MAX_JSON_DEPTH) 400,
 * over MAX_BODY_BYTES 413, unsupported charset or content encoding 415.
 */

type ParserError = Error & { type?: string; status?: number };
type RawBodyRequest = { rawBody?: Buffer };

export function registerExpressBodyParsers(app: NestExpressApplication, maxBodyBytes: number): void {
  const keepRaw = (req: Request & RawBodyRequest, _res: Response, buf: Buffer) => {
    req.rawBody = buf;
  };
  const parsers = [
    express.json({ limit: maxBodyBytes, type: ['application/json', 'application/*+json'], verify: keepRaw }),
    express.text({ limit: maxBodyBytes, type: 'text/plain', verify: keepRaw }),
    express.urlencoded({ limit: maxBodyBytes, extended: false, verify: keepRaw }),
  ];
  // One middleware layer for the three parsers and the depth check: each layer is a step of Express's
  // router loop on every request, and four of them showed in the gateway's profile (docs/performance.md).
  app.use((req: Request, res: Response, next: NextFunction) => {
    let index = 0;
    const step = (error?: unknown): void => {
      if (error) {
        deferBodyError(req, fromExpressParserError(error as ParserError, maxBodyBytes));
        req.body = undefined;
      } else if (index < parsers.length) {
        // Each parser passes over a content type not its own.
        parsers[index++](req, res, step);
        return;
      }
      if (jsonDepthExceeds(req.body, MAX_JSON_DEPTH)) {
        deferBodyError(req, new JsonTooDeepException());
        req.body = undefined;
      }
      next();
    };
    step();
  });
}

function fromExpressParserError(error: ParserError, maxBodyBytes: number): HttpException {
  switch (error.type) {
    case 'entity.parse.failed':
      return invalidJson(error);
    case 'entity.too.large':
      return tooLarge(maxBodyBytes);
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

/**
 * The same parsers on Fastify. The body is read here rather than with `parseAs`, so going over
 * MAX_BODY_BYTES is the same 413 as on Express; then it is inflated as body-parser does, kept raw
 * and parsed.
 */
export function registerFastifyBodyParsers(fastify: FastifyInstance, maxBodyBytes: number): void {
  fastify.removeAllContentTypeParsers();
  const parser = (parse: (raw: Buffer, charset: string) => unknown) => async (req: FastifyRequest, payload: Readable) => {
    try {
      const body = await readBody(payload, req.headers['content-length'], maxBodyBytes);
      const raw = inflate(body, req.headers['content-encoding'], maxBodyBytes);
      (req as FastifyRequest & RawBodyRequest).rawBody = raw;
      return parse(raw, charsetOf(req.headers['content-type']));
    } catch (error) {
      if (!(error instanceof HttpException)) throw error;
      deferBodyError(req, error);
      return undefined;
    }
  };
  fastify.addContentTypeParser('application/json', parser(parseStrictJson));
  fastify.addContentTypeParser(/^application\/[^\s;/]+\+json(\s*;|$)/i, parser(parseStrictJson));
  fastify.addContentTypeParser('text/plain', parser((raw, charset) => decodeText(raw, charset || 'utf-8')));
  fastify.addContentTypeParser('application/x-www-form-urlencoded', parser((raw, charset) => parseQueryString(decodeText(raw, charset || 'utf-8'))));
  // Unknown types: keep the bytes, parse nothing; the route decides (ingress answers 415).
  fastify.addContentTypeParser('*', parser(() => undefined));
}

/**
 * Reads a request body up to `limit` bytes; a declared or actual size above it is a 413. With stream
 * events rather than `for await`, whose iterator costs a few promises per chunk on every request.
 */
function readBody(payload: Readable, contentLength: string | undefined, limit: number): Promise<Buffer> {
  if (contentLength !== undefined && Number(contentLength) > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        done();
        // Stop reading what is left (Fastify closes the connection after the error answer).
        payload.pause();
        reject(tooLarge(limit));
      } else chunks.push(chunk);
    };
    const onEnd = () => (done(), resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)));
    const onError = (error: Error) => (done(), reject(error));
    const done = () => {
      payload.off('data', onData);
      payload.off('end', onEnd);
      payload.off('error', onError);
    };
    payload.on('data', onData);
    payload.on('end', onEnd);
    payload.on('error', onError);
  });
}

/** body-parser's JSON rules: UTF charsets only, an empty body is `{}`, the top level is an object or array. */
function parseStrictJson(raw: Buffer, charset: string): unknown {
  if (charset && !/^utf-/.test(charset)) throw new UnsupportedMediaTypeException(`unsupported charset "${charset.toUpperCase()}"`);
  const text = raw.toString('utf8');
  if (text.length === 0) return {};
  const first = /^[\x20\x09\x0a\x0d]*(.)/.exec(text)?.[1];
  if (first !== '{' && first !== '[') throw invalidJson(new Error(`Unexpected token ${JSON.stringify(first ?? '')}: the body must be a JSON object or array`));
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw invalidJson(error as Error);
  }
  if (jsonDepthExceeds(value, MAX_JSON_DEPTH)) throw new JsonTooDeepException();
  return value;
}

const TEXT_CHARSETS: Record<string, BufferEncoding> = { 'utf-8': 'utf8', utf8: 'utf8', 'us-ascii': 'latin1', ascii: 'latin1', 'iso-8859-1': 'latin1', latin1: 'latin1', 'utf-16le': 'utf16le' };

function decodeText(raw: Buffer, charset: string): string {
  const encoding = TEXT_CHARSETS[charset];
  if (!encoding) throw new UnsupportedMediaTypeException(`unsupported charset "${charset.toUpperCase()}"`);
  return raw.toString(encoding);
}

function charsetOf(contentType: string | undefined): string {
  return /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '')?.[1]?.toLowerCase() ?? '';
}

/** Content-Encoding as body-parser handles it: identity, gzip, deflate, br; the limit applies to the inflated bytes. */
function inflate(body: Buffer, encoding: string | undefined, maxBodyBytes: number): Buffer {
  const name = (encoding ?? 'identity').trim().toLowerCase();
  if (name === 'identity') return body;
  const decompress = { gzip: gunzipSync, deflate: inflateSync, br: brotliDecompressSync }[name];
  if (!decompress) throw new UnsupportedMediaTypeException(`unsupported content encoding "${name}"`);
  try {
    return decompress(body, { maxOutputLength: maxBodyBytes });
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(maxBodyBytes);
    throw new BadRequestException(`could not inflate the ${name} request body`);
  }
}

function invalidJson(error: Error): HttpException {
  return new InvalidJsonException(error.message);
}

function tooLarge(maxBodyBytes: number): HttpException {
  return new PayloadTooLargeException(`request body exceeds the limit of ${maxBodyBytes} bytes (MAX_BODY_BYTES)`);
}
