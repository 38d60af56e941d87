import Foundation

/// The files one command writes into an output folder (`--out`), replacing that command's
/// previous files there in ONE step: a reader, a killed run or a full disk never leaves a
/// mix of old and new files, half a set, or temporary files under the folder's name.
///
/// How: the files are written into a fresh hidden folder beside the target
/// (`.NAME.meek-HOST-PID-N`), each flushed to disk. On `commit`, under an exclusive lock on
/// `.NAME.meek-lock` beside the target (so concurrent writers to one folder take turns),
/// every entry of the current folder that the command does not own (other commands'
/// files: `sensitivity.*` beside `summary.*`, `figures/`, nested result folders) is carried
/// into the new folder by hard links, and the two folders are exchanged with one
/// `renameat2(RENAME_EXCHANGE)`. The old set is then removed. Nothing exists at the target
/// before `commit`, so a failed command leaves no folder behind; staging folders of dead
/// processes on this host are removed by the next commit beside them.
public final class OutputSet {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// The output folder as the user named it (for messages).
    public let directory: String
    /// Top-level names this command's set replaces: removed from the folder when the new
    /// set does not write them (e.g. an old draws.npy after a run without --save-draws).
    let owned: Set<String>
    let parent: String
    let name: String
    /// The staging folder; nil until the first file is written.
    private var staging: String?
    /// Folders created above the target for the staging folder (removed again on failure).
    private var createdParents: [String] = []
    private var committed = false

    /// An empty set for `directory`; `owns` lists the top-level names of this command's
    /// set. Creates nothing yet.
    public init(directory: String, owns: [String]) {
        self.directory = directory
        owned = Set(owns)
        var path = directory
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        // A symbolic link to a folder: replace the folder it points to, not the link.
        if let resolved = realpath(path, nil) { path = String(cString: resolved); free(resolved) }
        let url = URL(fileURLWithPath: path)
        parent = url.deletingLastPathComponent().path
        name = url.lastPathComponent
    }

    deinit { if !committed { discard() } }

    /// Where file `relative` (e.g. "draws.npy", "figures/a.svg") is staged; creates the
    /// staging folder (and its subfolders) on first use.
    public func stagedPath(_ relative: String) throws(Failure) -> String {
        let root = try stagingFolder()
        let components = relative.split(separator: "/").dropLast()
        var folder = root
        for c in components {
            folder += "/" + c
            if mkdir(folder, 0o777) != 0, errno != EEXIST { throw Failure("cannot create \(display(folder)): \(Self.reason())") }
        }
        return root + "/" + relative
    }

    public func write(_ text: String, to relative: String) throws(Failure) { try write(Data(text.utf8), to: relative) }

    /// Writes `data` as file `relative` of the set, flushed to disk; every error is reported.
    public func write(_ data: Data, to relative: String) throws(Failure) {
        let path = try stagedPath(relative)
        let shown = display(path)
        let fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw Failure("cannot create \(shown): \(Self.reason())") }
        var failure: Failure?
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var done = 0
            while done < bytes.count {
                let n = Foundation.write(fd, bytes.baseAddress! + done, bytes.count - done)
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { failure = Failure("cannot write \(shown): \(Self.reason())"); return }
                done += n
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = Failure("cannot write \(shown): \(Self.reason())") }
        if close(fd) != 0, failure == nil { failure = Failure("cannot write \(shown): \(Self.reason())") }
        if let failure { throw failure }
    }

    /// Replaces the folder's previous set with this one in one step (see the type's note).
    public func commit() throws(Failure) {
        let staged = try stagingFolder()
        let target = parent + "/" + name
        let lock = open(parent + "/.\(name).meek-lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o666)
        guard lock >= 0 else { throw Failure("cannot create \(display(parent + "/.\(name).meek-lock")): \(Self.reason())") }
        defer { close(lock) }  // also releases the lock
        // A file system without locks (some NFS mounts) still gets the single-rename swap.
        while flock(lock, LOCK_EX) != 0, errno == EINTR {}
        removeStaleStagingFolders()

        var info = stat()
        let exists = lstat(target, &info) == 0
        if exists {
            guard info.st_mode & S_IFMT == S_IFDIR else { throw Failure("\(directory): exists and is not a folder") }
            try carryOver(from: target, to: staged, topLevel: true)
            chmod(staged, info.st_mode & 0o7777)
        }
        syncFolder(staged)
        if exists {
            if Self.exchange(staged, target) != 0 {
                // No atomic exchange on this file system: two renames, the target briefly absent.
                let old = staged + "-old"
                guard rename(target, old) == 0 else { throw Failure("cannot replace \(directory): \(Self.reason())") }
                guard rename(staged, target) == 0 else {
                    let reason = Self.reason()
                    rename(old, target)
                    throw Failure("cannot replace \(directory): \(reason)")
                }
                rename(old, staged)
            }
        } else if rename(staged, target) != 0 {
            throw Failure("cannot create \(directory): \(Self.reason())")
        }
        committed = true
        syncFolder(parent)
        if exists { Self.remove(staged) }  // the old set, now under the staging name
    }

    /// Removes the staging folder and any folders created for it (after a failure).
    public func discard() {
        guard !committed else { return }
        committed = true
        if let staging { Self.remove(staging) }
        for folder in createdParents.reversed() { rmdir(folder) }
    }

    // MARK: Internals

    private func stagingFolder() throws(Failure) -> String {
        if let staging { return staging }
        var info = stat()
        if lstat(parent + "/" + name, &info) == 0, info.st_mode & S_IFMT != S_IFDIR {
            throw Failure("\(directory): exists and is not a folder")
        }
        try makeParents()
        for attempt in 0..<100 {
            let path = parent + "/.\(name).meek-\(Self.host)-\(getpid())-\(attempt)"
            if mkdir(path, 0o777) == 0 { staging = path; return path }
            guard errno == EEXIST else { throw Failure("cannot create a folder in \(display(parent)): \(Self.reason())") }
        }
        throw Failure("cannot create a folder in \(display(parent)): too many staging folders")
    }

    /// Creates the missing folders above the target, remembering them for `discard`.
    private func makeParents() throws(Failure) {
        var missing: [String] = []
        var path = parent
        var info = stat()
        while stat(path, &info) != 0 {
            guard errno == ENOENT else { throw Failure("cannot create \(display(path)): \(Self.reason())") }
            missing.append(path)
            path = URL(fileURLWithPath: path).deletingLastPathComponent().path
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw Failure("cannot create \(directory): \(display(path)) is not a folder") }
        for folder in missing.reversed() {
            guard mkdir(folder, 0o777) == 0 || errno == EEXIST else { throw Failure("cannot create \(display(folder)): \(Self.reason())") }
            createdParents.append(folder)
        }
    }

    /// Links every entry of `source` into `destination` (recursively for folders), leaving
    /// out at the top level the names this command owns or has just written.
    private func carryOver(from source: String, to destination: String, topLevel: Bool) throws(Failure) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: source) else {
            throw Failure("cannot read \(directory): \(Self.reason())")
        }
        for entry in names {
            if topLevel, owned.contains(entry) { continue }
            let from = source + "/" + entry, to = destination + "/" + entry
            var info = stat()
            if lstat(to, &info) == 0 { continue }  // written by this set
            guard lstat(from, &info) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                guard mkdir(to, info.st_mode & 0o7777) == 0 else { throw Failure("cannot create \(display(to)): \(Self.reason())") }
                try carryOver(from: from, to: to, topLevel: false)
            case S_IFLNK:
                guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: from), symlink(target, to) == 0 else {
                    throw Failure("cannot keep \(from) in \(directory): \(Self.reason())")
                }
            default:
                if link(from, to) != 0 {
                    do { try FileManager.default.copyItem(atPath: from, toPath: to) } catch {
                        throw Failure("cannot keep \(from) in \(directory): \(Self.reason())")
                    }
                }
            }
        }
    }

    /// Removes staging folders beside the target left by processes of this host that died.
    private func removeStaleStagingFolders() {
        let prefix = ".\(name).meek-\(Self.host)-"
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [] where entry.hasPrefix(prefix) {
            guard let pid = Int32(entry.dropFirst(prefix.count).prefix { $0 != "-" }), pid != getpid() else { continue }
            if kill(pid, 0) != 0, errno == ESRCH { Self.remove(parent + "/" + entry) }
        }
    }

    private func display(_ path: String) -> String {
        guard let staging, path.hasPrefix(staging) else { return path }
        return directory + path.dropFirst(staging.count)
    }

    private func syncFolder(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 { fsync(fd); close(fd) }
    }

    static func remove(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

    /// `strerror(errno)` as a message tail: "permission denied", "no space left on device".
    static func reason(_ code: Int32 = errno) -> String {
        let text = String(cString: strerror(code))
        return text.prefix(1).lowercased() + text.dropFirst()
    }

    static let host: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count - 1)
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).filter { $0.isLetter || $0.isNumber || $0 == "." || $0 == "_" }
        return name.isEmpty ? "host" : name
    }()

    /// `renameat2(a, b, RENAME_EXCHANGE)`: swaps two paths atomically (Linux 3.15+, glibc
    /// 2.28+; looked up at run time). Non-zero when unavailable or refused.
    static func exchange(_ a: String, _ b: String) -> Int32 {
        typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
        guard let symbol = UnsafeRawPointer(bitPattern: renameat2Address) else { return -1 }
        let call = unsafeBitCast(symbol, to: RenameAt2.self)
        return call(AT_FDCWD, a, AT_FDCWD, b, 2 /* RENAME_EXCHANGE */)
    }

    static let renameat2Address = Int(bitPattern: dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2"))
}
