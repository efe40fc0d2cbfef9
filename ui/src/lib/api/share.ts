// Sending my card: the system share sheet (phones; Rust calls the sharekit plugin), the .vcf
// (phones: share sheet; desktop: save dialog) and the SMS URL with the link as its body (built
// by livecard-actions for this platform: `sms:?body=` or iOS's `sms:&body=`).
import { call } from './ipc';

export interface Shared {
  /** The system share sheet opened (phones); false on desktop. */
  shared: boolean;
  /** Desktop .vcf: where it was saved (null: the dialog was cancelled). */
  path: string | null;
}

export const shareLink = () => call<Shared>('share_link');
export const shareVcf = () => call<Shared>('share_vcf');
export const smsLinkUrl = () => call<string>('sms_link_url');
