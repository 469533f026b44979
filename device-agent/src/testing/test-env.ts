/** The one place tests read the environment: CI=true turns "skip when the broker is down" into a failure. */
export const isCi = (): boolean => process.env.CI === 'true';
