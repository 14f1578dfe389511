"""Read-aloud audio made on the server, for kiosks whose browser has no voice of its own.

Japanese and やさしい日本語 are spoken by Open JTalk (pyopenjtalk-plus, whose wheel carries
the dictionary and the HTS voice "mei": nothing is downloaded at run time); the other
languages by Debian's espeak-ng where it has a voice. A missing engine is no error: that
locale has no server voice and the kiosk keeps to the device's voices.

Audio is made once per (voice, text) and kept as a WAV file whose name is the hash of
engine, voice, locale and text (`Voice.key`), so a URL carries no text at all. Only the
product's own texts are ever spoken: the caller decides which texts may be (kiosk.voice).
No Flask here.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import shutil
import subprocess
import tempfile
import threading
import warnings
import wave
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from tsunagi.domain.vocabulary import LOCALES

OPEN_JTALK = "open-jtalk"
ESPEAK_NG = "espeak-ng"
# The voice of each locale: (engine, voice name). A locale missing here has no voice in any
# engine the product installs (the README names them).
VOICES: dict[str, tuple[str, str]] = {
    "ja": (OPEN_JTALK, "mei_normal"),
    "ja@easy": (OPEN_JTALK, "mei_normal"),
    "en": (ESPEAK_NG, "en-us"),
    # Mandarin read from Chinese characters (both scripts); the plain "cmn" voice of
    # espeak-ng 1.51 reads its own pinyin tone digits out as English numbers.
    "zh_Hans": (ESPEAK_NG, "cmn-latn-pinyin"),
    "zh_Hant": (ESPEAK_NG, "cmn-latn-pinyin"),
    "ko": (ESPEAK_NG, "ko"),
    "vi": (ESPEAK_NG, "vi"),
    "pt_BR": (ESPEAK_NG, "pt-br"),
    "es": (ESPEAK_NG, "es-419"),
    "ne": (ESPEAK_NG, "ne"),
    "id": (ESPEAK_NG, "id"),
    "th": (ESPEAK_NG, "th"),
    "my": (ESPEAK_NG, "my"),
}
WITHOUT_VOICE = tuple(locale for locale in LOCALES if locale not in VOICES)
# やさしい日本語 is read a little slower, as it is spoken to a learner.
SPEED = {"ja@easy": 0.9}
ESPEAK_WORDS_PER_MINUTE = 150
KEY = re.compile(r"^[0-9a-f]{64}$")

_jtalk_lock = threading.Lock()
_making: dict[str, threading.Lock] = {}
_making_lock = threading.Lock()


@lru_cache(maxsize=None)
def engine_version(engine: str) -> str | None:
    """The installed engine's version, or None when it is not installed."""
    if engine == OPEN_JTALK:
        try:
            return metadata.version("pyopenjtalk-plus")
        except metadata.PackageNotFoundError:
            return None
    binary = shutil.which("espeak-ng")
    if binary is None:
        return None
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r"\d+(?:\.\d+)+", out.stdout)  # "eSpeak NG text-to-speech: 1.51  Data at: ..."
    return found.group(0) if found else "unknown"


@lru_cache(maxsize=None)
def _espeak_voices() -> frozenset[str]:
    try:
        out = subprocess.run(["espeak-ng", "--voices"], capture_output=True, text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    return frozenset(line.split()[1] for line in out.stdout.splitlines()[1:] if len(line.split()) > 1)


@dataclass(frozen=True)
class Voice:
    engine: str
    version: str
    name: str
    locale: str

    def key(self, text: str) -> str:
        """The audio file's name: a hash of engine (with its version), voice, locale and text."""
        return hashlib.sha256("\n".join((self.engine, self.version, self.name, self.locale, text))
                              .encode("utf-8")).hexdigest()

    def synthesize(self, text: str) -> bytes:
        """The text spoken, as a mono 16-bit PCM WAV file."""
        if self.engine == OPEN_JTALK:
            return _open_jtalk(text, SPEED.get(self.locale, 1.0))
        return _espeak(text, self.name)


def voice_for(locale: str) -> Voice | None:
    """The server's voice for `locale`, or None: no voice for the language, or its engine
    not installed here."""
    if locale not in VOICES:
        return None
    engine, name = VOICES[locale]
    version = engine_version(engine)
    if version is None or (engine == ESPEAK_NG and name not in _espeak_voices()):
        return None
    return Voice(engine, version, name, locale)


def _open_jtalk(text: str, speed: float) -> bytes:
    # The wrapper prints a notice about an optional model at import: keep it off the logs.
    with contextlib.redirect_stdout(io.StringIO()):
        import numpy
        import pyopenjtalk
    with _jtalk_lock, warnings.catch_warnings():  # one Open JTalk engine per process, not thread-safe
        # The wrapper still calls SudachiPy's Dictionary.create(), deprecated in SudachiPy 0.7.
        warnings.filterwarnings("ignore", "Dictionary.create", DeprecationWarning)
        samples, rate = pyopenjtalk.tts(text, speed=speed)
    pcm = numpy.clip(samples, -32768, 32767).astype("<i2").tobytes()
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(int(rate))
        wav.writeframes(pcm)
    return out.getvalue()


def _espeak(text: str, name: str) -> bytes:
    # The text goes in on stdin, never as an argument; -b 1: it is UTF-8.
    out = subprocess.run(["espeak-ng", "-v", name, "-s", str(ESPEAK_WORDS_PER_MINUTE), "-b", "1", "--stdout"],
                         input=text.encode("utf-8"), capture_output=True, timeout=60, check=True)
    return _whole_wav(out.stdout)


def _whole_wav(data: bytes) -> bytes:
    """espeak-ng writes to a pipe with the RIFF sizes left at their maximum (it cannot seek
    back): write the samples again with the real sizes, which browsers need for a duration."""
    riff = data.find(b"data")
    with wave.open(io.BytesIO(data[:riff] + b"data\x00\x00\x00\x00" + data[riff + 8:]), "rb") as src:
        channels, width, rate = src.getnchannels(), src.getsampwidth(), src.getframerate()
    frames = data[riff + 8:]
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(width)
        wav.setframerate(rate)
        wav.writeframes(frames[: len(frames) - len(frames) % (channels * width)])
    return out.getvalue()


def cached(folder: Path, voice: Voice, text: str) -> Path:
    """The WAV file of `text` in `voice` under `folder`, made now if it is not there yet.
    Written under a temporary name and renamed: a reader never sees half a file."""
    key = voice.key(text)
    path = folder / f"{key}.wav"
    if path.is_file():
        return path
    with _making_lock:
        making = _making.setdefault(key, threading.Lock())
    try:
        with making:  # the same audio asked twice at once is made once
            if not path.is_file():
                _write(folder, path, voice.synthesize(text))
    finally:
        with _making_lock:
            _making.pop(key, None)
    return path


def _write(folder: Path, path: Path, audio: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(audio)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
