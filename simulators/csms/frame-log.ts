// Every frame the simulator received or sent, with time and station identity: kept in memory (bounded, for the
// query helpers tests use) and appended to an NDJSON file (complete, for reading a run afterwards).
import { createWriteStream, type WriteStream } from 'node:fs';
import { Signal } from './waiting';

export type FrameDirection = 'in' | 'out';
export type FrameType = 'CALL' | 'CALLRESULT' | 'CALLERROR' | 'malformed';

export interface RecordedFrame {
  readonly seq: number;
  readonly atMs: number;
  /** ISO 8601 UTC of atMs. */
  readonly at: string;
  readonly identity: string;
  /** 'in' = station → CSMS simulator, 'out' = CSMS simulator → station. */
  readonly direction: FrameDirection;
  readonly type: FrameType;
  readonly messageId: string | undefined;
  /** For a CALLRESULT/CALLERROR: the action of the CALL it answers, when that CALL was seen. */
  readonly action: string | undefined;
  /** The text frame exactly as it went over the wire. */
  readonly raw: string;
}

export type FrameInput = Omit<RecordedFrame, 'seq' | 'at' | 'atMs'>;

export interface CallQuery {
  identity?: string;
  direction?: FrameDirection;
}

export class FrameLog {
  private readonly frames: RecordedFrame[] = [];
  private readonly signal = new Signal();
  private readonly file: WriteStream | undefined;
  private seq = 0;
  /** The first error writing the NDJSON file; recording in memory goes on. */
  fileError: Error | undefined;

  constructor(
    private readonly capacity: number,
    readonly filePath?: string,
  ) {
    if (filePath !== undefined) {
      this.file = createWriteStream(filePath, { flags: 'w' });
      this.file.on('error', (error) => (this.fileError ??= error));
    }
  }

  record(input: FrameInput): RecordedFrame {
    const atMs = Date.now();
    const frame: RecordedFrame = { seq: ++this.seq, atMs, at: new Date(atMs).toISOString(), ...input };
    this.frames.push(frame);
    if (this.frames.length > this.capacity) this.frames.shift();
    if (this.file !== undefined && this.fileError === undefined) this.file.write(`${JSON.stringify(frame)}\n`);
    this.signal.notify();
    return frame;
  }

  /** Frames in memory, oldest first. */
  all(): readonly RecordedFrame[] {
    return this.frames;
  }

  /** Frames recorded since the start, including those no longer kept in memory. */
  get total(): number {
    return this.seq;
  }

  ofStation(identity: string): RecordedFrame[] {
    return this.frames.filter((frame) => frame.identity === identity);
  }

  /** CALL frames, of one action or all, optionally of one station and one direction. */
  calls(action?: string, query: CallQuery = {}): RecordedFrame[] {
    return this.frames.filter(
      (frame) => frame.type === 'CALL' && (action === undefined || frame.action === action) && matches(frame, query),
    );
  }

  /** Every frame carrying this message id (the CALL and its answer); ids are per station, so pass one to be sure. */
  byMessageId(messageId: string, identity?: string): RecordedFrame[] {
    return this.frames.filter((frame) => frame.messageId === messageId && (identity === undefined || frame.identity === identity));
  }

  /** The CALLRESULT or CALLERROR answering the CALL with this id. */
  answerTo(messageId: string, identity?: string): RecordedFrame | undefined {
    return this.byMessageId(messageId, identity).find((frame) => frame.type === 'CALLRESULT' || frame.type === 'CALLERROR');
  }

  /** The first frame in memory matching, or the next one to be recorded. */
  waitFor(predicate: (frame: RecordedFrame) => boolean, timeoutMs = 5000, what = 'a matching frame'): Promise<RecordedFrame> {
    return this.signal.until(() => this.frames.find(predicate), timeoutMs, what);
  }

  /** Flushes and closes the NDJSON file. */
  close(): Promise<void> {
    const file = this.file;
    if (file === undefined || file.closed || file.destroyed) return Promise.resolve();
    return new Promise((resolve) => file.end(() => resolve()));
  }
}

function matches(frame: RecordedFrame, query: CallQuery): boolean {
  return (
    (query.identity === undefined || frame.identity === query.identity) &&
    (query.direction === undefined || frame.direction === query.direction)
  );
}
