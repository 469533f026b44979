/** The one place a server process (control plane, distiller) reads the process environment; everything else receives its config. */
export function processEnv(): Record<string, string | undefined> {
  return { ...process.env };
}
