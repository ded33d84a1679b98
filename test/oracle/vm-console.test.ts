// What the VM oracle reads off a guest's console: the lines that say the kernel itself went wrong,
// found even when other messages cut into them, and nothing from an ordinary boot log.
// Sources: oracle/vm/runner.ts (consoleAlerts).

import { consoleAlerts } from '../../oracle/vm/runner';

describe('consoleAlerts', () => {
  it('finds WARN, BUG, oops, sanitizer and panic headlines without their timestamps', () => {
    const log = [
      '[    0.000000] Linux version 6.1.0-57-cloud-amd64 (debian-kernel@lists.debian.org)',
      '[    2.587711] NET: Registered PF_ALG protocol family',
      '[    3.100000] ------------[ cut here ]------------',
      '[    3.100001] WARNING: CPU: 0 PID: 57 at net/core/sock.c:2097 sk_alloc+0x1a/0x40',
      'S 33 10 0 E EAF[    3.2] BUG: kernel NULL pointer dereference, address: 0000000000000008',
      '[    3.3] Oops: 0000 [#1] PREEMPT SMP NOPTI',
      '[    3.4] UBSAN: shift-out-of-bounds in net/socket.c:1500:12',
      '[    3.5] Kernel panic - not syncing: Fatal exception',
    ].join('\r\n');
    expect(consoleAlerts(log)).toEqual([
      'WARNING: CPU: 0 PID: 57 at net/core/sock.c:2097 sk_alloc+0x1a/0x40',
      'BUG: kernel NULL pointer dereference, address: 0000000000000008',
      'Oops: 0000 [#1] PREEMPT SMP NOPTI',
      'UBSAN: shift-out-of-bounds in net/socket.c:1500:12',
      'Kernel panic - not syncing: Fatal exception',
    ]);
  });

  it('finds nothing in a quiet boot', () => {
    expect(consoleAlerts('[    0.0] Linux version 6.12.117\n[    1.0] Freeing unused kernel image memory: 2048K\n')).toEqual([]);
  });
});
