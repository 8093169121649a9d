// POST /encrypt-config: the config with its sensitive options shaded (shade.ts). Nothing is stored
// and nothing is run; the answer holds only what the client sent, encoded as Zeta encodes it.
import type { RouteCall } from '../core/index.ts';
import { readJson } from './request-body.ts';
import { seatunnelJson } from './respond.ts';
import { encryptConfig } from './shade.ts';

export async function postEncryptConfig({ request }: RouteCall): Promise<Response> {
  const config = (await readJson(request, 'object')) as Record<string, unknown>;
  return seatunnelJson(encryptConfig(config));
}
