/** The one place the control plane reads the process environment; everything else receives an AppConfig. */
export function processEnv(): Record<string, string | undefined> {
  return { ...process.env };
}
