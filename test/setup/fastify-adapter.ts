// The second e2e run (jest.config.js project e2e-fastify): every suite, and every hub process a suite
// spawns, serves through Fastify instead of Express.
process.env.HTTP_ADAPTER = 'fastify';
