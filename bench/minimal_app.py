"""The baseline of bench/submit.py: the least a Flask + SQLAlchemy + SQLite (WAL) app does
to take a JSON body and store it as one row. Served by gunicorn with the same settings as
tsunagi: `gunicorn -c gunicorn.conf.py bench.minimal_app:app` (MINIMAL_DATABASE_URL)."""
from __future__ import annotations

import json
import os

from flask import Flask, jsonify, request
from sqlalchemy import Integer, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from tsunagi.web.db import make_engine


class Base(DeclarativeBase):
    pass


class Row(Base):
    __tablename__ = "row"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    body: Mapped[str] = mapped_column(Text)


engine = make_engine(os.environ["MINIMAL_DATABASE_URL"])
Base.metadata.create_all(engine)
app = Flask(__name__)


@app.post("/insert")
def insert():
    with Session(engine) as session:
        row = Row(body=json.dumps(request.get_json()))
        session.add(row)
        session.commit()
        return jsonify({"id": row.id}), 201


@app.get("/")
def index():
    return "ok"


