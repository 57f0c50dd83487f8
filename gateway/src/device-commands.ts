/**
 * Where a command to a device goes (issue 14: one path, created complete). Transports — the MQTT
 * broker, the 4G watch port — register as they start; a command goes to the first one the device
 * is connected to. The voice dispatcher is created before any of them and holds this, so nothing
 * is wired in two phases: until a transport is up, no device is connected and prompts stay queued.
 */
export interface CommandTransport {
  isConnected(deviceId: string): boolean
  sendCommand(deviceId: string, command: object): Promise<void>
}

export interface DeviceCommands extends CommandTransport {
  /** Adds a transport; the earlier-added one wins for a device connected to both. */
  add(transport: CommandTransport): void
}

export function createDeviceCommands(): DeviceCommands {
  const transports: CommandTransport[] = []
  return {
    add(transport) {
      transports.push(transport)
    },
    isConnected: (deviceId) => transports.some((t) => t.isConnected(deviceId)),
    sendCommand(deviceId, command) {
      const transport = transports.find((t) => t.isConnected(deviceId))
      if (transport === undefined) return Promise.reject(new Error(`device ${deviceId} is not connected`))
      return transport.sendCommand(deviceId, command)
    },
  }
}
