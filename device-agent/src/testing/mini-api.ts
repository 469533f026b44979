/**
 * The control plane's HTTP side for the agent's tests: `POST /api/v1/enroll` (one token, answers as the real one
 * does) and `GET /api/v1/trusted-keys` (the set signed by the keys the test says). Not exported from index.ts.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signTrustedKeySet, type EnrollResponse, type TrustedKeySet } from '@edgefleet/contracts';

export interface TestKey {
  keyId: string;
  publicKeyPem: string;
  privateKeyPem: string;
}

export class MiniApi {
  readonly enrollments: Array<Record<string, unknown>> = [];
  /** What GET /api/v1/trusted-keys lists, and who signs that list (default: every listed key). */
  keys: TestKey[] = [];
  signers?: TestKey[];
  password = 'pw-' + Math.random().toString(36).slice(2);

  private constructor(private readonly server: Server, readonly url: string, private readonly token: string) {}

  static async start(token: string): Promise<MiniApi> {
    let api!: MiniApi;
    const server = createServer((req, res) => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method === 'GET' && req.url === '/api/v1/trusted-keys') return send(200, api.keySet());
      if (req.method === 'POST' && req.url === '/api/v1/enroll') {
        let text = '';
        req.on('data', (d: Buffer) => (text += d.toString()));
        req.on('end', () => {
          const body = JSON.parse(text) as { token: string; deviceId: string };
          if (body.token !== api.token) return send(401, { message: 'unknown enrollment token' });
          api.enrollments.push(body);
          const answer: EnrollResponse = {
            deviceId: body.deviceId,
            mqtt: { clientId: body.deviceId, username: body.deviceId, password: api.password },
            trustedKeys: api.keys.map((k) => ({ keyId: k.keyId, algorithm: 'ed25519', publicKeyPem: k.publicKeyPem })),
          };
          send(201, answer);
        });
        return;
      }
      send(404, { message: 'not found' });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    api = new MiniApi(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token);
    return api;
  }

  keySet(): TrustedKeySet {
    const keys = this.keys.map((k) => ({ keyId: k.keyId, algorithm: 'ed25519' as const, publicKeyPem: k.publicKeyPem }));
    return signTrustedKeySet({ keys, issuedAt: new Date().toISOString() }, (this.signers ?? this.keys).map((k) => ({ keyId: k.keyId, privateKey: k.privateKeyPem })));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
