// The one door to the Rust side. Feature modules in this folder call `call()`; nothing
// else in the UI imports `invoke`.
import { invoke, type InvokeArgs } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import type { Command, Commands, ErrorKind, Events } from '../generated/ipc';

export type { Command, Commands, ErrorKind, Events };

/** What command `C` takes: nothing, its named arguments (optional when all are), or raw bytes
 *  (generated from the Rust command's signature). */
export type ArgsOf<C extends Command> = Commands[C]['args'] extends null
  ? []
  : {} extends Commands[C]['args']
    ? [args?: Commands[C]['args']]
    : [args: Commands[C]['args']];
/** What command `C` resolves to (generated from the Rust command's signature). */
export type ResultOf<C extends Command> = Commands[C]['result'];

/** Kinds the UI raises itself (file checks and the camera), not the Rust side. */
export type UiErrorKind = 'too_big' | 'scan' | 'camera_denied';

/** One refused value, as the core's FieldError serialises. */
export type { FieldError } from '../generated/types';
import type { FieldError } from '../generated/types';

/** What every command rejects with: the shell's CommandError ({kind, message, fields?}). */
export class ApiError extends Error {
  readonly kind: ErrorKind | UiErrorKind;
  readonly fields: FieldError[];
  constructor(kind: ErrorKind | UiErrorKind, message: string, fields: FieldError[] = []) {
    super(message);
    this.name = 'ApiError';
    this.kind = kind;
    this.fields = fields;
  }

  /** The message for one field, if the core refused that field. */
  fieldMessage(field: string): string | undefined {
    return this.fields.find((f) => f.field === field)?.message;
  }
}

function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (e && typeof e === 'object' && 'kind' in e && 'message' in e) {
    const o = e as { kind: unknown; message: unknown; fields?: unknown; field?: unknown };
    let fields: FieldError[] = Array.isArray(o.fields) ? (o.fields as FieldError[]) : [];
    if (fields.length === 0 && typeof o.field === 'string') {
      fields = [{ field: o.field, message: String(o.message) }];
    }
    // The Rust side answers only the kinds of the generated ErrorKind (ipc_types test).
    return new ApiError(String(o.kind) as ErrorKind, String(o.message), fields);
  }
  // A command that is not registered, or an IPC failure, rejects with a plain string.
  return new ApiError('internal', typeof e === 'string' ? e : String(e));
}

type KindListener = (e: ApiError) => void;
const kindListeners = new Map<ErrorKind, Set<KindListener>>();

/** Hear every error of one kind from any command (the lock screen listens for `locked`).
 *  Returns the function that stops listening. */
export function onErrorKind(kind: ErrorKind, fn: KindListener): () => void {
  let set = kindListeners.get(kind);
  if (!set) kindListeners.set(kind, (set = new Set()));
  set.add(fn);
  return () => set.delete(fn);
}

/** `cmd`: a registered command (the generated `Command` names); `args`: its named arguments,
 *  or raw bytes (a Uint8Array) sent as the request body — both checked against the generated
 *  `Commands` map, as is the result. */
export async function call<C extends Command>(cmd: C, ...args: ArgsOf<C>): Promise<ResultOf<C>> {
  try {
    return await invoke<ResultOf<C>>(cmd, args[0] as InvokeArgs | undefined);
  } catch (e) {
    const err = toApiError(e);
    for (const fn of kindListeners.get(err.kind as ErrorKind) ?? []) fn(err);
    throw err;
  }
}

/** Hear event `E` from the Rust side (the payload type is the generated `Events` map's).
 *  Resolves to the function that stops listening. */
export async function onEvent<E extends keyof Events>(
  event: E,
  fn: (payload: Events[E]) => void,
): Promise<() => void> {
  return listen<Events[E]>(event, (e) => fn(e.payload));
}
