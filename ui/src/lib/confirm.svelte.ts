// State for an in-app confirmation on one screen: `ask()` shows the dialog (the screen renders
// <ConfirmDialog> while `pending` is set) and resolves with the person's answer.
export class ConfirmState {
  pending = $state<((ok: boolean) => void) | null>(null);

  ask(): Promise<boolean> {
    // A second ask while one is open answers the first with "no".
    this.pending?.(false);
    return new Promise((resolve) => {
      this.pending = (ok: boolean) => {
        this.pending = null;
        resolve(ok);
      };
    });
  }
}
