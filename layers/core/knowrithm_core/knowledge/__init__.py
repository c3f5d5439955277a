"""The knowledge base: document formats, chunking, the per-agent BM25 index, search, and ingestion.

Nothing here imports a web framework; pypdf, BeautifulSoup, numpy and bm25s are imported inside the
functions that need them, so importing this package (and the API handler) stays cheap.

- :mod:`.text`       tokenizer shared by the index and the extractive responder
- :mod:`.formats`    type detection and text extraction (txt, md, html, pdf, csv, json, docx, xlsx)
- :mod:`.chunking`   paragraph- and sentence-aware chunks with overlap
- :mod:`.index`      one BM25 index per agent: build, serialize (S3), cache per version, masked search
- :mod:`.records`    documents, chunks and index manifests (models), stable chunk ids, S3 keys
- :mod:`.fetch`      SSRF-guarded, address-pinned GET of web pages (size cap, re-checked redirects)
- :mod:`.documents`  the document routes (upload, list, delete/restore, chunks)
- :mod:`.search`     search over an agent's index (routes and the responder)
- :mod:`.ingest`     the ingest worker: extract, chunk, index, ``document.processed``
"""
