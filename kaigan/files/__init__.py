"""Uploaded files for every app: storage, validation and access-checked serving.

The interface other apps use (docs/FILES.md for operators):

- `services.file_upload(user=, uploaded=)` checks an upload (size, type read from its content,
  the account's quota) and stores it under a server-made key: a `StoredFile`, readable by its
  uploader alone until it is attached. `services.file_check` / `services.file_store` are its
  two halves, for a form that checks every file before it stores any.
- `services.files_attach(user=, target=, file_ids=)` attaches the user's own uploads to an
  object (a brief, a message, a delivery, a brand kit item); `services.files_set` makes the
  attached files exactly a given list (the others are removed: hidden there, audited);
  `services.file_hide` hides a file everywhere (audited). Nothing is ever deleted.
- `selectors.files_of(target)` and `selectors.files_of_many(model, ids)` list what is attached
  (one query, whatever the number of files).
- An app registers each model it attaches files to, with who may read them, in its
  `AppConfig.ready()`: `registry.register(Brief, may_read=...)`. This package never imports an
  app: `access.access_file(user, pk)` asks the registered checks.
- `urls` serves `/files/<id>/download/` (and `thumbnail/`) to signed-in browsers; `api` serves
  `POST /api/v1/files/` and `GET /api/v1/files/<id>/download/`. Both go through one access check
  and answer with safe headers (`serving.file_response`).
"""
