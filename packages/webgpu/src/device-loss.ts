// Device loss: a GPU device can be lost at any time (driver reset, the tab backgrounded too long, a
// call to device.destroy()). WebGPU then turns every later call into a silent no-op, so a training
// loop would carry on computing nothing. The watch observes `device.lost`; the backend checks it
// before it allocates and when a readback fails, and throws a DeviceLostError saying what happened
// and how to recover.

export interface LostInfo {
  readonly reason: string;
  readonly message: string;
}

/** Thrown by every WebGPU backend call once its device is lost. */
export class DeviceLostError extends Error {
  constructor(
    readonly info: LostInfo,
    op: string,
  ) {
    super(
      `${op}: the WebGPU device was lost (reason: ${info.reason || 'unknown'}${info.message ? `, "${info.message}"` : ''}); ` +
        `tensors on it are gone. Recover with forgetBackend('webgpu') and setBackend('webgpu'), ` +
        `then reload the model from its last checkpoint (loadCheckpoint)`,
    );
    this.name = 'DeviceLostError';
  }
}

export class DeviceLossWatch {
  private info: LostInfo | null = null;
  private readonly whenLost: Promise<LostInfo>;

  constructor(device: GPUDevice) {
    this.whenLost = device.lost.then((lost) => (this.info = { reason: lost.reason, message: lost.message }));
  }

  get lost(): LostInfo | null {
    return this.info;
  }

  /** Throws a DeviceLostError naming `op` if the device is known to be lost. */
  check(op: string): void {
    if (this.info) throw new DeviceLostError(this.info, op);
  }

  /**
   * After a GPU call failed: whether the device was lost (waiting up to `ms` for `device.lost` to
   * settle, since the failure may be seen before the loss is reported).
   */
  async lostWithin(ms: number): Promise<LostInfo | null> {
    if (this.info) return this.info;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), ms);
    });
    try {
      return await Promise.race([this.whenLost, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
