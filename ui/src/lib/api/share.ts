// Sending my card: the system share sheet (phones; Rust calls the sharekit plugin), the .vcf
// (phones: share sheet; desktop: save dialog) and the SMS URL with the link as its body (built
// by livecard-actions for this platform: `sms:?body=` or iOS's `sms:&body=`).
import { call } from './ipc';

export type { Shared } from '../generated/types';

export const shareLink = () => call('share_link');
export const shareVcf = () => call('share_vcf');
export const smsLinkUrl = () => call('sms_link_url');
