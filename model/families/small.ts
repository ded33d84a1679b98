// The families whose ->create is two or three plain rows: TIPC, RDS, SMC, MCTP, QIPCRTR and KCM.
// Sources: net/tipc/socket.c (tipc_sk_create), net/rds/af_rds.c (rds_create),
// net/smc/af_smc.c (__smc_create), net/mctp/af_mctp.c (mctp_pf_create),
// net/qrtr/af_qrtr.c (qrtr_create), net/kcm/kcmsock.c (kcm_create); docs/kernel.md §5.8.

import { check, type FamilyTable } from '../clause';
import { AF, SOCK } from '../constants';

const TIPC = 'net/tipc/socket.c:tipc_sk_create';
export const tipcTable: FamilyTable = {
  family: AF.TIPC,
  name: 'AF_TIPC',
  create: TIPC,
  // msg_ops, packet_ops and stream_ops all carry it (net/tipc/socket.c).
  socketpair: 'net/tipc/socket.c:tipc_socketpair',
  rows: [
    check('tipc-proto', ['protocol'], 'EPROTONOSUPPORT', 'protocol is not 0', TIPC, (c) => c.protocol !== 0),
    check('tipc-type', ['type'], 'EPROTOTYPE', 'type is not STREAM, SEQPACKET, DGRAM or RDM', TIPC,
      (c) => c.type !== SOCK.STREAM && c.type !== SOCK.SEQPACKET && c.type !== SOCK.DGRAM && c.type !== SOCK.RDM),
  ],
};

const RDS = 'net/rds/af_rds.c:rds_create';
export const rdsTable: FamilyTable = {
  family: AF.RDS,
  name: 'AF_RDS',
  create: RDS,
  rows: [
    check('rds-type-proto', ['type', 'protocol'], 'ESOCKTNOSUPPORT', 'type is not SOCK_SEQPACKET or protocol is not 0 (one errno for both)', RDS,
      (c) => c.type !== SOCK.SEQPACKET || c.protocol !== 0),
  ],
};

const SMC = 'net/smc/af_smc.c:__smc_create';
export const smcTable: FamilyTable = {
  family: AF.SMC,
  name: 'AF_SMC',
  create: SMC,
  rows: [
    check('smc-type', ['type'], 'ESOCKTNOSUPPORT', 'type is not SOCK_STREAM', SMC, (c) => c.type !== SOCK.STREAM),
    check('smc-proto', ['protocol'], 'EPROTONOSUPPORT', 'protocol is neither SMCPROTO_SMC (0) nor SMCPROTO_SMC6 (1)', SMC,
      (c) => {
        if (c.protocol !== 0 && c.protocol !== 1) return true;
        c.soprotocol = c.protocol;
        return false;
      }),
  ],
};

const MCTP = 'net/mctp/af_mctp.c:mctp_pf_create';
export const mctpTable: FamilyTable = {
  family: AF.MCTP,
  name: 'AF_MCTP',
  create: MCTP,
  rows: [
    check('mctp-proto', ['protocol'], 'EPROTONOSUPPORT', 'protocol is not 0', MCTP, (c) => c.protocol !== 0),
    check('mctp-type', ['type'], 'ESOCKTNOSUPPORT', 'type is not SOCK_DGRAM', MCTP, (c) => c.type !== SOCK.DGRAM),
  ],
};

const QRTR = 'net/qrtr/af_qrtr.c:qrtr_create';
export const qipcrtrTable: FamilyTable = {
  family: AF.QIPCRTR,
  name: 'AF_QIPCRTR',
  create: QRTR,
  rows: [
    check('qrtr-type', ['type'], 'EPROTOTYPE', 'type is not SOCK_DGRAM (the protocol is ignored)', QRTR, (c) => c.type !== SOCK.DGRAM),
  ],
};

const KCM = 'net/kcm/kcmsock.c:kcm_create';
export const kcmTable: FamilyTable = {
  family: AF.KCM,
  name: 'AF_KCM',
  create: KCM,
  rows: [
    check('kcm-type', ['type'], 'ESOCKTNOSUPPORT', 'type is neither SOCK_DGRAM nor SOCK_SEQPACKET', KCM,
      (c) => c.type !== SOCK.DGRAM && c.type !== SOCK.SEQPACKET),
    check('kcm-proto', ['protocol'], 'EPROTONOSUPPORT', 'protocol is not KCMPROTO_CONNECTED (0)', KCM, (c) => c.protocol !== 0),
  ],
};
