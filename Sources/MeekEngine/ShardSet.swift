/// Orders the partial results of a sharded job by shard index, after checking that shards
/// 0..<count are each present exactly once. Returns the message of the first problem: a
/// duplicated shard (both files named) or the missing shards (with their file names).
public func orderedShards<Part>(_ parts: [Part], count: Int, index: (Part) -> Int, path: (Part) -> String,
                                fileName: (Int) -> String) -> Result<[Part], ShardSetProblem> {
    var byIndex: [Int: Part] = [:]
    for p in parts {
        if let earlier = byIndex[index(p)] {
            return .failure(ShardSetProblem(description: "shard \(index(p)) of \(count) is given twice (\(path(earlier)), \(path(p)))"))
        }
        byIndex[index(p)] = p
    }
    let missing = (0..<count).filter { byIndex[$0] == nil }
    guard missing.isEmpty else {
        return .failure(ShardSetProblem(description: "missing shard\(missing.count == 1 ? "" : "s") \(missing.map(String.init).joined(separator: ", ")) of \(count) (\(missing.map(fileName).joined(separator: ", ")))"))
    }
    return .success((0..<count).map { byIndex[$0]! })
}

/// Why a set of shards is incomplete.
public struct ShardSetProblem: Error, CustomStringConvertible {
    public var description: String
}
