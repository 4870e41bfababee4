// Preloaded (NODE_OPTIONS=--require) into Stryker and its workers by scripts/mutants/run.mjs. Stryker's
// mocha runner (9.x, the last line that runs on Node 20) requires mocha/lib/cli/{run-helpers,options,
// collect-files}, which mocha 12 renamed to .cjs: a request for one of those, not found as written,
// is retried with the .cjs extension. Nothing else is touched.
const Module = require('node:module');

const resolveFilename = Module._resolveFilename;
const MOCHA_CLI = /[\\/]mocha[\\/]lib[\\/]cli[\\/][a-z-]+$/;

Module._resolveFilename = function resolveWithCjsFallback(request, ...rest) {
  try {
    return resolveFilename.call(this, request, ...rest);
  } catch (error) {
    if (!MOCHA_CLI.test(request)) throw error;
    return resolveFilename.call(this, `${request}.cjs`, ...rest);
  }
};
