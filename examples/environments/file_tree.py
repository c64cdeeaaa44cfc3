class Env:
    """An in-memory file tree with an application's logs to archive."""

    def reset(self, seed: int) -> str:
        count = 2 + seed % 3
        self.files = {f"/var/app/run-{i}.log": f"log {i}\n" for i in range(count)}
        self.files["/var/app/config.yaml"] = "level: info\n"
        self.files["/var/app/cache/blob.bin"] = "x" * 16
        return "The file tree has /var/app and an empty /archive."

    def list_dir(self, path: str) -> list:
        """Names directly inside a directory (directories end with '/').

        Args:
            path: absolute directory path, e.g. /var/app
        """
        prefix = path.rstrip("/") + "/"
        names = set()
        for file in self.files:
            if file.startswith(prefix):
                rest = file[len(prefix):]
                names.add(rest.split("/", 1)[0] + ("/" if "/" in rest else ""))
        return sorted(names)

    def read_file(self, path: str) -> str:
        """The contents of a file.

        Args:
            path: absolute file path
        """
        if path not in self.files:
            raise FileNotFoundError(path)
        return self.files[path]

    def move(self, src: str, dst: str) -> str:
        """Move a file to a new absolute path.

        Args:
            src: the file to move
            dst: its new path
        """
        if src not in self.files:
            raise FileNotFoundError(src)
        if dst in self.files:
            raise FileExistsError(dst)
        self.files[dst] = self.files.pop(src)
        return dst

    def score(self, response: str) -> float:
        logs_left = [f for f in self.files if f.startswith("/var/app/") and f.endswith(".log")]
        archived = [f for f in self.files if f.startswith("/archive/") and f.endswith(".log")]
        others_kept = "/var/app/config.yaml" in self.files and "/var/app/cache/blob.bin" in self.files
        if logs_left or not archived or not others_kept or len(self.files) != len(archived) + 2:
            return 0.0
        return 1.0 if response.strip() == str(len(archived)) else 0.5
