/** The one place the distiller reads the process environment. */
export function processEnv(): Record<string, string | undefined> {
  return { ...process.env };
}
