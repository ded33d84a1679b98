// A synthetic profile that registers every family the model has a table for, with the protocol
// lists of the Debian profile plus CAN and Bluetooth. No real kernel is built like this; it lets
// the model's own tables be explored and checked where no shipped kernel reaches them.
// Sources: model/families/index.ts, include/uapi/linux/can.h, include/net/bluetooth/bluetooth.h.

import type { KernelProfile } from '../profile';
import { debian61 } from './debian-6.1';

export const allFamilies: KernelProfile = {
  ...debian61,
  name: 'model-all-families',
  description: 'synthetic: every family the model knows (no real kernel), for exploring the model itself',
  version: '6.18',
  families: [1, 2, 10, 15, 16, 17, 21, 29, 30, 31, 38, 40, 41, 42, 43, 44, 45],
  // CAN_RAW is SOCK_RAW; BCM, ISOTP and J1939 are SOCK_DGRAM.
  can: { 1: 3, 2: 2, 6: 2, 7: 2 },
  // L2CAP, HCI, SCO, RFCOMM, BNEP, CMTP, HIDP, ISO.
  bluetooth: [0, 1, 2, 3, 4, 5, 6, 8],
  fdtableGrowth: 'pow2',
  updateSocketProtocolHook: true,
  sources: ['synthetic: union of the family tables in model/families'],
};
