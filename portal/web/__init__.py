"""The shared web layer every feature's views use: extensions, htmx helpers, the form base, role
guards, text formatting, the unit of work, downloads and the upload-preview-apply flow. It imports
no feature; `app.init_app` wires the cross-cutting behaviour (errors, headers, request log)."""
