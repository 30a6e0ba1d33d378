// Module-resolution hook for scripts/api-docs.mjs: typedoc imports 'typescript', which in this
// project is TypeScript 7 (native; no JavaScript compiler API); send it to TypeScript 6, installed
// as the 'typescript-6' alias.
export async function resolve(specifier, context, next) {
  if (specifier === 'typescript' || specifier.startsWith('typescript/')) {
    return next(`typescript-6${specifier.slice('typescript'.length)}`, context);
  }
  return next(specifier, context);
}
