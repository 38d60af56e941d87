import Foundation
import MeekEngine

/// Writes the per-draw inputs and outputs as one NumPy `.npy` file holding a structured
/// array with a float64 field per column: `np.load("draws.npy")` reads it and
/// `pandas.DataFrame(np.load("draws.npy"))` makes a table. Rows are in draw order whatever
/// thread wrote them (each block goes to its own offset). "Never" is `inf`; "no lead" is
/// `nan` (not applicable). Written into an `OutputSet`'s staging folder; every write is
/// checked, and `finish` refuses a file any byte of which failed (a full disk, a file-size
/// limit), so a draws.npy with missing rows is never committed.
public final class NPYWriter: DrawSink, @unchecked Sendable {
    /// The file's name in the output folder (for messages).
    public let name: String
    let fd: Int32
    let headerSize: Int
    let rowBytes: Int
    private let lock = NSLock()
    /// The first failed write's errno (0: none).
    private var failedErrno: Int32 = 0

    public init(set: OutputSet, name: String, columns: [String], rows: Int) throws(OutputSet.Failure) {
        self.name = set.directory + "/" + name
        let fields = columns.map { "('\($0)', '<f8')" }.joined(separator: ", ")
        var header = "{'descr': [\(fields)], 'fortran_order': False, 'shape': (\(rows),), }"
        // Magic (6) + version (2) + header length (2) + header, padded with spaces to a
        // multiple of 64 and ended by a newline.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        let length = header.utf8.count
        guard length < 65536 else { throw OutputSet.Failure("cannot write \(self.name): too many columns for an .npy header") }
        bytes += [UInt8(length & 0xff), UInt8(length >> 8)] + Array(header.utf8)
        headerSize = bytes.count
        rowBytes = 8 * columns.count
        let (size, overflow) = rows.multipliedReportingOverflow(by: rowBytes)
        guard !overflow, size <= Int.max - headerSize else { throw OutputSet.Failure("cannot write \(self.name): \(rows) rows are too many") }
        let path = try set.stagedPath(name)
        fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw OutputSet.Failure("cannot create \(self.name): \(OutputSet.reason())") }
        if !bytes.withUnsafeBytes({ writeAll($0, at: 0) }) || ftruncate(fd, off_t(headerSize + size)) != 0 {
            let reason = OutputSet.reason()
            close(fd)
            throw OutputSet.Failure("cannot write \(self.name): \(reason)")
        }
    }

    public func write(block: Int, firstDraw: Int, rows: Int, values: UnsafeBufferPointer<Double>) {
        var buffer = Array(values)
        for i in buffer.indices where buffer[i] == -.infinity { buffer[i] = .nan }
        let ok = buffer.withUnsafeBytes { writeAll(UnsafeRawBufferPointer(rebasing: $0[..<(rows * rowBytes)]), at: headerSize + firstDraw * rowBytes) }
        if !ok {
            let code = errno
            lock.withLock { if failedErrno == 0 { failedErrno = code } }
        }
    }

    /// Writes all of `bytes` at `offset` (pwrite may write less than asked).
    private func writeAll(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Bool {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                if n == 0 { errno = EIO }
                return false
            }
            done += n
        }
        return true
    }

    /// Flushes and closes the file after a run; throws if any write failed.
    public func finish() throws(OutputSet.Failure) {
        var code = lock.withLock { failedErrno }
        if code == 0, fsync(fd) != 0 { code = errno }
        if close(fd) != 0, code == 0 { code = errno }
        if code != 0 { throw OutputSet.Failure("cannot write \(name): \(OutputSet.reason(code))") }
    }

    /// Closes the file after a failed run (the set's `discard` removes it).
    public func discard() { close(fd) }
}
