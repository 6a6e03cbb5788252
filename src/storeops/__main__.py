from storeops.cli.main import run

run()
