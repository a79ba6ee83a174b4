/// etcd key ranges as bytes.
public enum EtcdKeys {
    /// The exclusive end of the range of keys that start with `prefix`: the prefix with its last byte that is not
    /// 0xFF incremented (and what follows dropped). A prefix of only 0xFF bytes, or an empty one, ranges to the end
    /// of the key space, which etcd writes as the single byte 0.
    public static func rangeEnd(ofPrefix prefix: [UInt8]) -> [UInt8] {
        var end = prefix
        while let last = end.last {
            if last < 0xFF {
                end[end.count - 1] = last + 1
                return end
            }
            end.removeLast()
        }
        return [0]
    }

    /// The smallest key after `key`: where the next page of a listing starts.
    static func successor(of key: [UInt8]) -> [UInt8] {
        key + [0]
    }
}
