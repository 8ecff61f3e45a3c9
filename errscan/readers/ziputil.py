"""Checks on an Office file's zip container before a library opens it: zip bombs and encryption."""

from __future__ import annotations

import io
import zipfile
import zlib

from errscan.readers.text import ReadError

MAX_UNZIPPED = 200 * 1024 * 1024  # total of the members' declared sizes
MAX_MEMBERS = 10_000
MAX_RATIO = 200  # declared size / compressed size, for members over RATIO_FLOOR
RATIO_FLOOR = 10 * 1024 * 1024


def check(data: bytes, what: str) -> set[str]:
    """The member names of a safe zip; ReadError for a damaged, encrypted or bomb-like container.

    zipfile never returns more than a member's declared size, so capping the declared sizes caps the work.
    """
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except Exception:  # BadZipFile, NotImplementedError (unknown zip version), OSError …
        raise ReadError(f"{what}文件已损坏（不是有效的 zip 容器），无法读取") from None
    if len(infos) > MAX_MEMBERS:
        raise ReadError(f"{what}文件异常（包含 {len(infos)} 个部件），疑为恶意文件，未检查")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise ReadError(f"{what}文件已加密，无法读取；请去除密码后再检查")
        total += info.file_size
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise ReadError(f"{what}文件异常（部件 {info.filename} 压缩比过高），疑为压缩炸弹，未检查")
    if total > MAX_UNZIPPED:
        raise ReadError(
            f"{what}文件解压后过大（{total // 1048576} MB，上限 {MAX_UNZIPPED // 1048576} MB），疑为压缩炸弹，未检查"
        )
    _inflate_all(data, infos, what)
    return {info.filename for info in infos}


def _inflate_all(data: bytes, infos: list[zipfile.ZipInfo], what: str) -> None:
    """Inflate every member a piece at a time, whatever the headers claim, before a library reads them whole.

    zipfile's read() of a whole member asks the decompressor for up to 2 GB at once: a member whose headers
    declare 4 MB but whose data inflates to 1 GB takes that memory before the size is cut and the CRC fails. Read
    64 KiB at a time, that member fails its CRC check here (zipfile stops at the declared size) at no cost."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    for info in infos:
        if info.is_dir():
            continue
        try:
            with archive.open(info) as fh:
                while fh.read(1 << 16):
                    pass
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError):
            raise ReadError(f"{what}文件已损坏或部件大小与声明不符（{info.filename}），疑为恶意文件，未检查") from None
