// The one door to the Rust side. Feature modules in this folder call `call()`; nothing
// else in the UI imports `invoke`.
import { invoke, type InvokeArgs } from '@tauri-apps/api/core';
import type { Command, ErrorKind } from '../generated/ipc';

export type { Command, ErrorKind };

/** Kinds the UI raises itself (file checks and the camera), not the Rust side. */
export type UiErrorKind = 'too_big' | 'scan' | 'camera_denied';

/** One refused value, as the core's FieldError serialises. */
export interface FieldError {
  field: string;
  message: string;
}

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

/** `cmd`: a registered command (the generated `Command` names); `args`: named arguments, or
 *  raw bytes (a Uint8Array) sent as the request body. */
export async function call<T>(cmd: Command, args?: InvokeArgs): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    const err = toApiError(e);
    for (const fn of kindListeners.get(err.kind as ErrorKind) ?? []) fn(err);
    throw err;
  }
}
