import { z } from 'zod';

const warned = new Set<string>();

/** Prints a deprecation warning once per process (Node's `DeprecationWarning`, else `console.warn`). */
export function warnDeprecated(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  const proc = (globalThis as { process?: { emitWarning?: (m: string, type: string) => void } }).process;
  if (proc?.emitWarning) proc.emitWarning(message, 'DeprecationWarning');
  else console.warn(`DeprecationWarning: ${message}`);
}

/**
 * An options object schema that still accepts an old key name: `{ [from]: v }` is read as
 * `{ [to]: v }` with a deprecation warning that names the new key; giving both is an error. The
 * parsed output only has the new key.
 */
export function withRenamedOption<S extends z.ZodType>(schema: S, rename: { readonly from: string; readonly to: string; readonly where: string }): z.ZodType<z.output<S>, z.input<S>> {
  return z.preprocess((raw, ctx) => {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw) || !(rename.from in raw)) return raw;
    const { [rename.from]: value, ...rest } = raw as Record<string, unknown>;
    if (rename.to in rest) {
      ctx.addIssue({ code: 'custom', path: [rename.from], message: `${rename.from} is the deprecated name of ${rename.to}; give ${rename.to} only` });
      return raw;
    }
    warnDeprecated(`${rename.where}: option "${rename.from}" is deprecated; use "${rename.to}" (same meaning)`);
    return { ...rest, [rename.to]: value };
  }, schema) as unknown as z.ZodType<z.output<S>, z.input<S>>;
}
