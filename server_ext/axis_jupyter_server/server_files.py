"""Files of the Jupyter server a request may name: only what the contents API would serve it.

Server-side loading (``POST evals/runs`` with a file ``source``) must not become a way to read
files the user could not open in JupyterLab. :func:`readable_file` accepts a path only if

* the user may ``read`` the ``contents`` resource (the same authorizer check as
  ``GET api/contents``),
* it has no ``..`` segment, and an absolute path lies inside the server's ``root_dir``,
* it is not hidden (a dot file or inside a dot folder) unless the contents manager allows
  hidden files,
* it is a file, and with every symlink resolved it is still inside ``root_dir`` (stricter
  than the contents API, which follows links out of the root),

and answers its resolved OS path. Anything else is a 400 (bad path), 403 (no contents
permission) or 404 (no such readable file) whose message never says more about the file.
Contents managers that do not keep files on disk (no ``root_dir``) accept no paths: upload
the file instead (``POST datasets``).
"""

from __future__ import annotations

import os
from pathlib import PurePosixPath

import tornado.web
from jupyter_core.utils import ensure_async

from axis_jupyter.errors import NotFoundError, QueryError


async def readable_file(handler, path: str, param: str = "source") -> str:
    """The resolved OS path of ``path`` if ``handler``'s user could read it through the
    contents API; an AxisError (or 403) naming ``param`` otherwise."""
    if not isinstance(path, str) or not path.strip() or "\0" in path:
        raise QueryError(f"{param} must be a dataset name or a file path inside the Jupyter root.")
    cm = handler.contents_manager
    root = getattr(cm, "root_dir", None)
    if not root or not hasattr(cm, "_get_os_path"):
        raise QueryError(f"{param}: this server's files are not on a local disk; upload the file "
                         "(POST datasets) and give the dataset name.")
    allowed = await ensure_async(handler.authorizer.is_authorized(
        handler, handler.current_user, "read", "contents"))
    if not allowed:
        raise tornado.web.HTTPError(403, f"User is not authorized to read files ({param}).")
    api_path = _api_path(path, root, param)
    missing = NotFoundError(f"{param}: no dataset or readable file named {path!r} in the "
                            "Jupyter root.")
    if not cm.allow_hidden and await ensure_async(cm.is_hidden(api_path)):
        raise missing
    if not await ensure_async(cm.file_exists(api_path)):
        raise missing
    try:
        os_path = cm._get_os_path(api_path)
    except tornado.web.HTTPError:
        raise missing from None
    real_root = os.path.realpath(root)
    real = os.path.realpath(os_path)
    if os.path.commonpath([real_root, real]) != real_root or not os.path.isfile(real):
        raise missing
    return real


def _api_path(path: str, root: str, param: str) -> str:
    """``path`` as a contents-API path (relative to ``root``, "/"-separated)."""
    text = path.replace(os.sep, "/") if os.sep != "/" else path
    if ".." in PurePosixPath(text).parts:
        raise QueryError(f"{param}: '..' is not allowed in a path; give it relative to the "
                         "Jupyter root.")
    if os.path.isabs(path):
        abs_root = os.path.abspath(root)
        abs_path = os.path.abspath(path)
        if os.path.commonpath([abs_root, abs_path]) != abs_root:
            raise QueryError(f"{param}: the path is outside the Jupyter root; give a path inside "
                             "it, or upload the file (POST datasets).")
        text = os.path.relpath(abs_path, abs_root).replace(os.sep, "/")
    return text.strip("/")
