from maxray_gen.cli import main

main()
