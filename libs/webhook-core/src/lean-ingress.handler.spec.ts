import 'reflect-metadata';
import { Body, CanActivate, Controller, Header, HttpServer, Injectable, Param, Post, Req, Res, UseGuards, UseInterceptors } from '@nestjs/common';
import { createLeanIngressHandler } from './lean-ingress.handler';

@Injectable()
class AllowGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

@Controller('hooks')
class SampleController {
  @Post(':name')
  @Header('Cache-Control', 'no-store')
  @UseGuards(AllowGuard)
  lean(@Param('name') name: string, @Req() req: unknown, @Res({ passthrough: true }) res: unknown): unknown {
    return { name, req, res };
  }

  @Post('body')
  withBody(@Body() body: unknown): unknown {
    return body;
  }

  @Post('res')
  ownResponse(@Res() res: unknown): unknown {
    return res;
  }

  @Post('intercepted')
  @UseInterceptors({ intercept: (_c: unknown, next: { handle(): unknown }) => next.handle() } as never)
  intercepted(@Req() req: unknown): unknown {
    return req;
  }
}

const deps = { httpAdapter: {} as HttpServer, filter: { catch: () => undefined }, guard: () => new AllowGuard() };
const target = (methodName: string) => ({ controller: SampleController, instance: new SampleController(), methodName });

describe('createLeanIngressHandler', () => {
  it('serves a route whose arguments are @Req(), a passthrough @Res() and a string @Param(), with its headers', () => {
    expect('handler' in createLeanIngressHandler(target('lean'), deps)).toBe(true);
  });

  it('says why a route stays on Nest pipeline: other arguments, a response the method sends itself, interceptors', () => {
    expect(createLeanIngressHandler(target('withBody'), deps)).toEqual({ reason: expect.stringContaining('argument 0 is not') });
    expect(createLeanIngressHandler(target('ownResponse'), deps)).toEqual({ reason: expect.stringContaining('argument 0 is not') });
    expect(createLeanIngressHandler(target('intercepted'), deps)).toEqual({ reason: 'it declares interceptors' });
  });

  it('answers in Nest order: guards, status and headers, the method, the reply; a refused guard goes to the filter', async () => {
    const calls: string[] = [];
    const httpAdapter = {
      status: (_res: unknown, code: number) => calls.push(`status ${code}`),
      setHeader: (_res: unknown, name: string, value: string) => calls.push(`header ${name}: ${value}`),
      isHeadersSent: () => false,
      reply: (_res: unknown, body: { name: string }) => calls.push(`reply ${body.name}`),
    } as unknown as HttpServer;
    const filter = { catch: (error: Error) => calls.push(`filter ${error.message}`) };
    const lean = createLeanIngressHandler(target('lean'), { httpAdapter, filter, guard: () => new AllowGuard() });
    if (!('handler' in lean)) throw new Error(lean.reason);
    await lean.handler({ params: { name: 'n1' } }, {});
    expect(calls).toEqual(['status 201', 'header Cache-Control: no-store', 'reply n1']);

    calls.length = 0;
    const refused = createLeanIngressHandler(target('lean'), { httpAdapter, filter, guard: () => ({ canActivate: async () => false }) });
    if (!('handler' in refused)) throw new Error(refused.reason);
    await refused.handler({ params: { name: 'n2' } }, {});
    expect(calls).toEqual(['filter Forbidden resource']);
  });
});
