"""Run the chat: `python app.py [--host 127.0.0.1] [--port 7860]` (builds the sample index if needed)."""

from qa.cli import serve

if __name__ == "__main__":
    serve()
