"""The website widget's server side: allowed domains (origins), widget options, rate limits, public endpoints.

``origins`` and ``public`` stay free of pydantic and boto3 at import, so the widget function
(``functions/widget``) starts fast; ``options`` validates what the settings API stores.
"""
