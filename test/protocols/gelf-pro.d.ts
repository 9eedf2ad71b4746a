// gelf-pro ships no types; the tests use this much of it.
declare module 'gelf-pro' {
  interface GelfPro {
    setConfig(config: {
      fields?: Record<string, unknown>;
      adapterName?: 'udp' | 'tcp';
      adapterOptions?: { host?: string; port?: number; family?: number; timeout?: number; protocol?: string };
    }): GelfPro;
    info(
      message: string,
      extra?: Record<string, unknown>,
      cb?: (err: Error | null, bytes: number) => void,
    ): void;
    error(
      message: string,
      extra?: Record<string, unknown>,
      cb?: (err: Error | null, bytes: number) => void,
    ): void;
    warning(
      message: string,
      extra?: Record<string, unknown>,
      cb?: (err: Error | null, bytes: number) => void,
    ): void;
  }
  const gelf: GelfPro;
  export default gelf;
}
