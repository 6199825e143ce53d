// npm start's first run: the ${NAME} secrets config/default.json refers to are generated once into a 0600 file and
// read from it afterwards; the environment always wins, and the values never leave the file.
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../../src/config/load';
import { localSecrets, referencedNames } from '../../../src/config/local-secrets';
import { tempDir } from '../../helpers/processes';

const DEFAULT_CONFIG = path.join(__dirname, '../../../config/default.json');

describe('local secrets', () => {
  const { dir, cleanup } = tempDir('flexbridge-secrets-');
  afterAll(() => cleanup());

  test('the default configuration refers to an API token and a Capacity Provider bootstrap token', () => {
    expect(referencedNames(fs.readFileSync(DEFAULT_CONFIG, 'utf8')).sort()).toEqual(['FLEXBRIDGE_API_TOKEN', 'FLEXBRIDGE_CP_TOKEN']);
  });

  test('generated once (0600), the same on the next start, and what the environment sets is never replaced', () => {
    const file = path.join(dir, 'data', 'local-secrets.json');
    const text = fs.readFileSync(DEFAULT_CONFIG, 'utf8');
    const first = localSecrets(file, text, {});
    expect([...first.generated].sort()).toEqual(['FLEXBRIDGE_API_TOKEN', 'FLEXBRIDGE_CP_TOKEN']);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(first.env.FLEXBRIDGE_API_TOKEN).toMatch(/^[0-9a-f]{48}$/);
    const second = localSecrets(file, text, {});
    expect(second.generated).toEqual([]);
    expect(second.env.FLEXBRIDGE_API_TOKEN).toBe(first.env.FLEXBRIDGE_API_TOKEN);
    const mine = localSecrets(file, text, { FLEXBRIDGE_API_TOKEN: 'from-the-environment-0123456789' });
    expect(mine.env.FLEXBRIDGE_API_TOKEN).toBe('from-the-environment-0123456789');
    expect(mine.used).toEqual(['FLEXBRIDGE_CP_TOKEN']);
    // And the default configuration loads with them.
    const config = loadConfig(DEFAULT_CONFIG, second.env);
    expect(config.api.tokens[0]?.name).toBe('local');
    expect(config.oscp.peers[0]?.id).toBe('local-cp');
  });

  test('a file that is not an object of strings is refused, not overwritten', () => {
    const file = path.join(dir, 'bad.json');
    fs.writeFileSync(file, '["x"]');
    expect(() => localSecrets(file, '${A}', {})).toThrow(/not a JSON object/);
    expect(fs.readFileSync(file, 'utf8')).toBe('["x"]');
  });
});
