// Finds the chromium the browser tests drive: the system's (Debian's /usr/bin/chromium or `chromium` on PATH) if any,
// else the one shipped in the @sparticuz/chromium npm package, unpacked once into a cache folder under os.tmpdir().
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';

/** Set (to 1) to pass over the system chromium: how CI proves the packaged one works on a machine without it. */
export const IGNORE_SYSTEM_CHROMIUM_ENV = 'FLEXBRIDGE_IGNORE_SYSTEM_CHROMIUM';
const PACKAGE = '@sparticuz/chromium';
const SYSTEM_CHROMIUM = '/usr/bin/chromium';

export interface ChromiumExecutable {
  executablePath: string;
  /** For the test log: which of the two was found. */
  source: 'system' | 'npm';
  /** Launch arguments it needs on top of the test's own. */
  args: string[];
  /** The environment to launch it with, when it needs more than the test's own (playwright's default). */
  env?: Record<string, string>;
}

/** The chromium to launch; throws with what to install when there is none (a browser test never skips). */
export async function findChromium(): Promise<ChromiumExecutable> {
  const ignoreSystem = !['', '0', 'false'].includes(process.env[IGNORE_SYSTEM_CHROMIUM_ENV] ?? '');
  const system = ignoreSystem ? undefined : systemChromium();
  if (system) return { executablePath: system, source: 'system', args: [] };
  try {
    return await packagedChromium();
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    const systemPart = ignoreSystem
      ? `the system chromium is ignored (${IGNORE_SYSTEM_CHROMIUM_ENV} is set)`
      : `no ${SYSTEM_CHROMIUM} nor chromium on PATH`;
    throw new Error(
      `no chromium for the browser tests: ${systemPart}, and ${PACKAGE} failed: ${why}. Run npm ci, or apt-get install -y chromium`,
      { cause: error },
    );
  }
}

function systemChromium(): string | undefined {
  const onPath = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  return [SYSTEM_CHROMIUM, ...onPath.map((dir) => path.join(dir, 'chromium'))].find(isExecutableFile);
}

function isExecutableFile(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * The package's brotli-compressed headless chromium (linux x64 only) plus the NSS, NSPR and expat libraries it links
 * against, which the package ships for Amazon Linux (al2023.tar.br) and which a bare Debian lacks. Unpacked here, not by
 * the package's executablePath(): that one writes into the shared tmpdir root (/tmp/chromium), reuses any file found
 * there whatever its version or completeness, and unpacks those libraries only on Amazon Linux (Lambda, CodeBuild).
 */
async function packagedChromium(): Promise<ChromiumExecutable> {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    throw new Error(`it ships linux x64 only, this is ${process.platform} ${process.arch}`);
  const packageDir = path.resolve(path.dirname(require.resolve(PACKAGE)), '..', '..');
  const manifest: unknown = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
  const version = typeof manifest === 'object' && manifest !== null && 'version' in manifest ? manifest.version : undefined;
  if (typeof version !== 'string') throw new Error(`no version in ${packageDir}/package.json`);

  // One folder per package version. It appears complete (renamed from a staging folder), but a tmp cleaner may age
  // files out of it one by one: then it is unpacked afresh.
  const cacheDir = path.join(os.tmpdir(), `flexbridge-chromium-${version}`);
  const executablePath = path.join(cacheDir, 'chromium');
  const libDir = path.join(cacheDir, 'al2023', 'lib');
  const complete = (): boolean => fs.existsSync(executablePath) && fs.existsSync(path.join(libDir, 'libnss3.so'));
  if (fs.existsSync(cacheDir) && !complete()) {
    assertOwnFolder(cacheDir);
    fs.rmSync(cacheDir, { recursive: true, force: true });
  }
  if (!fs.existsSync(cacheDir)) await unpack(path.join(packageDir, 'bin'), cacheDir);
  assertOwnFolder(cacheDir);

  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  env.LD_LIBRARY_PATH = [libDir, env.LD_LIBRARY_PATH].filter(Boolean).join(path.delimiter);
  // Under LANG=C (C.UTF-8 is Debian's default) headless_shell reports navigator.language as "en-US@posix", no valid
  // language tag: uPlot's `new Intl.NumberFormat(navigator.language)` throws and the dashboard's chart never loads.
  return { executablePath, source: 'npm', args: ['--accept-lang=en-US'], env };
}

/** A predictable name in a shared /tmp: run only what this user made and nobody else can write to. */
function assertOwnFolder(dir: string): void {
  const stat = fs.statSync(dir);
  if (stat.uid !== process.getuid?.() || (stat.mode & 0o022) !== 0) throw new Error(`${dir} is not this user's own folder: remove it`);
}

/** Unpacks into a private staging folder, then renames it into place: a killed run or a parallel worker leaves no half. */
async function unpack(binDir: string, cacheDir: string): Promise<void> {
  const staging = fs.mkdtempSync(`${cacheDir}-partial-`);
  try {
    await inflate(path.join(binDir, 'chromium.br'), path.join(staging, 'chromium'), 0o755);
    // Not swiftshader (WebGL) nor fonts: chromium starts without them, the dashboard draws on a 2D canvas, tests read the DOM.
    const libTar = path.join(staging, 'al2023.tar');
    await inflate(path.join(binDir, 'al2023.tar.br'), libTar, 0o600);
    fs.mkdirSync(path.join(staging, 'al2023'));
    const tar = spawnSync('tar', ['-xf', libTar, '-C', path.join(staging, 'al2023'), '--no-same-owner'], { encoding: 'utf8' });
    if (tar.status !== 0) throw new Error(`tar -xf ${libTar}: ${tar.error?.message ?? tar.stderr}`);
    fs.rmSync(libTar);
    try {
      fs.renameSync(staging, cacheDir);
    } catch (error) {
      // Another worker got there first: its folder is as good as ours.
      if (!fs.existsSync(path.join(cacheDir, 'chromium'))) throw error;
    }
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

async function inflate(from: string, to: string, mode: number): Promise<void> {
  await pipeline(fs.createReadStream(from), zlib.createBrotliDecompress(), fs.createWriteStream(to, { mode }));
}
