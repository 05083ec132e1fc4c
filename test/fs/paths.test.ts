/**
 * The write policy's second rule (src/fs/paths.ts): names that become paths
 * stay inside their folder, links included.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { resolveInside } from '../../src/fs/paths';
import { tempDir } from '../helpers/fixtures';

const tmp = tempDir();
after(tmp.cleanup);
describe('write policy: names stay inside their folder', () => {
  it('resolves names below the root and refuses ../, absolute paths and links out', () => {
    const root = join(tmp.dir, 'root');
    mkdirSync(join(root, 'a'), { recursive: true });
    assert.equal(resolveInside(root, 'a/b.h', 'x.h', 'the include folder'), join(root, 'a', 'b.h'));
    assert.throws(
      () => resolveInside(root, '../../tmp/pwned', 'x.h', 'the include folder'),
      /x\.h: path "\.\.\/\.\.\/tmp\/pwned" leaves the include folder; refused/,
    );
    assert.throws(() => resolveInside(root, '/etc/shadow', 'x.h', 'the include folder'), /leaves the include folder/);
    symlinkSync('/etc', join(root, 'etc'));
    assert.throws(
      () => resolveInside(root, 'etc/passwd', 'x.h', 'the include folder'),
      /"etc\/passwd" is a link to \/etc\/passwd, outside the include folder; refused/,
    );
  });
});
