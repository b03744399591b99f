import { BadRequestException, HttpException, PayloadTooLargeException, UnsupportedMediaTypeException } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
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

type RawBodyRequest = { rawBody?: Buffer };

export function registerExpressBodyParsers(app: NestExpressApplication, maxBodyBytes: number): void {
  // The same reading and parsing as on Fastify (below), in one middleware layer: body-parser's three
  // parsers and the depth check were four layers of Express's router loop, and body-parser with its
  // helpers (raw-body, type-is, on-finished) about 8 % of the Express gateway's CPU (docs/performance.md).
  app.use((req: Request & RawBodyRequest, _res: Response, next: NextFunction) => {
    const contentType = req.headers['content-type'];
    const parse = hasBody(req) ? parserFor(contentType) : undefined;
    if (!parse) return next();
    readBody(req, req.headers['content-length'], maxBodyBytes)
      .then((body) => {
        const raw = inflate(body, req.headers['content-encoding'], maxBodyBytes);
        req.rawBody = raw;
        req.body = parse(raw, charsetOf(contentType));
      })
      .catch((error: unknown) => {
        deferBodyError(req, error instanceof HttpException ? error : new BadRequestException('could not read the request body'));
        req.body = undefined;
      })
      .then(() => next());
  });
}

/** Whether a request carries a body (type-is's rule, as body-parser has it): a length, or a transfer encoding. */
function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || !Number.isNaN(Number.parseInt(req.headers['content-length'] ?? '', 10));
}

/** The parser of a content type on Express (the types body-parser was set up for), or undefined: the body is left unread. */
function parserFor(contentType: string | undefined): ((raw: Buffer, charset: string) => unknown) | undefined {
  const type = (contentType ?? '').split(';', 1)[0].trim().toLowerCase();
  if (type === 'application/json' || /^application\/[^\s/]+\+json$/.test(type)) return parseStrictJson;
  if (type === 'text/plain') return parseText;
  if (type === 'application/x-www-form-urlencoded') return parseForm;
  return undefined;
}

const parseText = (raw: Buffer, charset: string) => decodeText(raw, charset || 'utf-8');
const parseForm = (raw: Buffer, charset: string) => parseQueryString(decodeText(raw, charset || 'utf-8'));

/**
 * The same parsers on Fastify, as content-type parsers. The body is read here rather than with
 * `parseAs`, so going over MAX_BODY_BYTES is the same 413 as on Express; then it is inflated, kept raw
 * and parsed. Unknown types keep their bytes and parse nothing (the route decides).
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
  fastify.addContentTypeParser('text/plain', parser(parseText));
  fastify.addContentTypeParser('application/x-www-form-urlencoded', parser(parseForm));
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
  if (jsonDepthExceeds(value, MAX_JSON_DEPTH, text)) throw new JsonTooDeepException();
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
