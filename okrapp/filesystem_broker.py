"""kombu's filesystem transport (the demo's server-less broker), made safe for a long-running worker.

kombu writes a message by creating its file under the final name and then writing into it, and a
consumer claims any file whose name matches, so a worker that lists the folder in between takes an
empty file; kombu's JSON error then stops the worker ("Unrecoverable error: JSONDecodeError"). Here:

- a producer writes a hidden temporary file and renames it into place (atomic within one folder), so
  a consumer only ever sees whole messages;
- a consumer checks each file it claims the way the delivery will read it (JSON, then kombu's
  message shape); one that is empty or malformed is moved to ``bad_folder`` with a warning, and the
  next message is taken. It is never fatal.

Celery uses it through ``broker_transport`` (see ``okrapp/celery.py``) for ``filesystem://`` URLs.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from queue import Empty
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.json import dumps, loads

logger = logging.getLogger(__name__)

# What reading a malformed message can raise: bad UTF-8 or JSON (ValueError), a payload that is not
# kombu's {"body", "properties": {"delivery_tag", …}} shape (KeyError, TypeError, AttributeError), a
# body that is not valid base64 (binascii.Error, a ValueError).
MALFORMED = (ValueError, KeyError, TypeError, AttributeError)


class Channel(filesystem.Channel):
    """The filesystem channel with whole-file writes and malformed messages set aside."""

    # kombu's two base classes name the second argument differently (message, payload); it is passed by position.
    def _put(self, queue: str, message: Any, **kwargs: Any) -> None:  # type: ignore[override]
        """Put ``message`` onto ``queue``: written under a name no consumer matches, then renamed."""
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        # Leading dot and trailing suffix: the name's part after its first dot is not "<queue>.msg".
        partial = os.path.join(self.data_folder_out, f".{name}.partial")
        try:
            with open(partial, "wb") as file:
                file.write(dumps(message).encode("utf-8"))
            os.replace(partial, final)
        except OSError as exc:
            with contextlib.suppress(FileNotFoundError):
                os.remove(partial)
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc

    def _get(self, queue: str, timeout: float | None = None) -> Any:
        """The next well-formed message of ``queue``; malformed ones on the way are set aside. (Never
        waits: kombu's polling loop asks again; ``timeout`` is only the signature's.)"""
        queue_find = f"{queue}.msg"
        for filename in sorted(os.listdir(self.data_folder_in)):
            if filename.partition(".")[2] != queue_find:
                continue
            claim_folder = self.processed_folder if self.store_processed else tempfile.gettempdir()
            try:
                # Moving the file claims it: another consumer that lists the folder too finds it gone.
                claimed = shutil.move(os.path.join(self.data_folder_in, filename), claim_folder)
            except OSError:
                continue  # taken by another consumer in the meantime
            try:
                with open(claimed, "rb") as file:
                    raw = file.read()
            except OSError as exc:
                raise ChannelError(f"Cannot read file {claimed!r} from queue.") from exc
            try:
                payload = self._decode(raw)
            except MALFORMED as exc:
                self._set_aside(claimed, queue=queue, reason=_reason(raw, exc))
                continue
            if not self.store_processed:
                os.remove(claimed)
            return payload
        raise Empty()

    def _decode(self, raw: bytes) -> Any:
        """The payload, built into a message once as the delivery will, so a bad one fails here."""
        payload = loads(raw.decode("utf-8"))
        self.Message(payload, channel=self)
        return payload

    def _set_aside(self, claimed: str, *, queue: str, reason: str) -> None:
        bad_folder = Path(self.bad_folder)
        bad_folder.mkdir(parents=True, exist_ok=True)
        target = shutil.move(claimed, bad_folder / Path(claimed).name)
        logger.warning("Dropped a malformed message from queue %r (%s); it was moved to %s", queue, reason, target)

    @property
    def bad_folder(self) -> str:
        """Where malformed message files go: the ``bad_folder`` option, else ``bad`` beside the queue folder."""
        default = Path(self.data_folder_in).resolve().parent / "bad"
        return str(self.transport_options.get("bad_folder", default))


def _reason(raw: bytes, exc: BaseException) -> str:
    if not raw.strip():
        return "the file is empty"
    if isinstance(exc, UnicodeDecodeError):
        return "the file is not UTF-8 text"
    if isinstance(exc, json.JSONDecodeError):
        return f"the file is not JSON: {exc}"
    return f"the file is not a kombu message: {exc.__class__.__name__}: {exc}"


class Transport(filesystem.Transport):
    """kombu's filesystem transport with :class:`Channel`."""

    Channel = Channel
