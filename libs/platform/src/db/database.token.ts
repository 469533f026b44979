/** Injection token of the open Database (kind, description, table changes, close). */
export const DATABASE = Symbol('DATABASE');
