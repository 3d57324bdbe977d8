/** Who is logged in, as GET /console/session answers. */
export interface Session {
  readonly authenticated: true;
  readonly clientId: string;
  readonly participant: string;
  readonly scopes: readonly string[];
  readonly expiresAt: string;
}

export interface NoSession {
  readonly authenticated: false;
  readonly clientSecretsEnabled: boolean;
}

/** The scope that shows patient data (the gateway enforces it; the page only explains). */
export const PHI_SCOPE = 'admin:phi';
