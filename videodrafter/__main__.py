from videodrafter.cli import app

app()
