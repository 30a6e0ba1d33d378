// Loads the `odex` package (Hairer's ODEX, GBS extrapolation). Its declaration is odex-binding.d.cts:
// the package ships its TypeScript source, which fails strict checking, and no .d.ts.
module.exports = require('odex');
