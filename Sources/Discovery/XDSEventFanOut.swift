public import XDSServer

/// Hands every xDS event to several observers, in order.
public struct XDSEventFanOut: XDSEventObserver {
    let observers: [any XDSEventObserver]

    public init(_ observers: [any XDSEventObserver]) {
        self.observers = observers
    }

    public func observe(_ event: XDSEvent) {
        for observer in observers { observer.observe(event) }
    }
}
