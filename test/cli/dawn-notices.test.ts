/**
 * Dawn's two "maxDynamic…BuffersPerPipelineLayout artificially reduced" notices (printed by
 * C++ straight to file descriptor 2 while the adapter is found) stay out of what a user sees,
 * whatever stderr is: a socket (a parent process's pipe), a file, a shell pipe, or a terminal
 * (a real pseudo-terminal through script(1)). And the filter drops only those lines: anything
 * else written to descriptor 2 during the filtered call still comes out, in order.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../..');
const tmp = mkdtempSync(join(tmpdir(), 'dawn-notices-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const NOTICE = /artificially reduced/;
// A command that starts the GPU (predict opens the device before it reads the model), then
// fails on the missing model with one line: so stderr must be exactly that line.
const missing = join(tmp, 'no-such-model');
const argv = [process.execPath, '--import', 'tsx', join(root, 'scripts/predict.ts'), '--model', missing, 'x.jpg'];
const expected = `error: model folder not found: ${missing}\n`;
const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const env = { ...process.env, FORCE_COLOR: '0' };

describe("Dawn's limit notices", () => {
  it('stderr of a spawned command (a socket) holds only its own line', () => {
    const r = spawnSync(argv[0]!, argv.slice(1), { cwd: root, env, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toBe(expected);
  }, 60_000);

  it('the same with stderr redirected to a file, and into a shell pipe', () => {
    const file = join(tmp, 'err.txt');
    const toFile = spawnSync('sh', ['-c', `${argv.map(sh).join(' ')} 2>${sh(file)}`], { cwd: root, env, encoding: 'utf8', timeout: 60_000 });
    expect(toFile.status).toBe(1);
    expect(readFileSync(file, 'utf8')).toBe(expected);
    const piped = spawnSync('sh', ['-c', `${argv.map(sh).join(' ')} 2>&1 | cat`], { cwd: root, env, encoding: 'utf8', timeout: 60_000 });
    expect(piped.stdout).toBe(expected);
  }, 120_000);

  it('the same in a terminal (a pseudo-terminal made by script(1))', () => {
    const r = spawnSync('script', ['-qec', argv.map(sh).join(' '), '/dev/null'], { cwd: root, env, encoding: 'utf8', timeout: 60_000 });
    expect(r.error).toBeUndefined();
    const screen = r.stdout.replace(/\r\n/g, '\n');
    expect(screen).toContain(expected);
    expect(screen).not.toMatch(NOTICE);
  }, 60_000);

  it('only the notices are dropped: other native and JavaScript output of the call comes out in order', () => {
    const script = join(tmp, 'filter.mts');
    writeFileSync(
      script,
      `import { writeSync } from 'node:fs';
import { DAWN_LIMIT_NOTICES, prepareStderrFilter, withStderrFiltered } from ${JSON.stringify(join(root, 'src/platform/native-stderr.ts'))};
if (!(await prepareStderrFilter())) throw new Error('no libc through koffi');
writeSync(2, 'before\\n');
const v = withStderrFiltered(DAWN_LIMIT_NOTICES, () => {
  writeSync(2, 'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.\\n');
  writeSync(2, 'Warning: something else\\n');
  console.error('from JavaScript');
  writeSync(2, 'Warning: maxDynamicStorageBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.\\n');
  writeSync(2, 'no newline at the end');
  return 42;
});
writeSync(2, '\\nafter ' + v + '\\n');
`,
    );
    const r = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: root, env, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('before\nWarning: something else\nfrom JavaScript\nno newline at the end\nafter 42\n');
  }, 60_000);
});
