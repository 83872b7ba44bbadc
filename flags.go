package main

import "flag"

// parseArgs parses args with fs, reading flags wherever they stand on the line, before or after
// the positional arguments, which it returns in order: `roost post 'text' -visibility direct`
// must not post "text -visibility direct" publicly because the flag package stops at the first
// non-flag. "--" ends the flags; everything after it is positional (`roost post -- '-5 today'`).
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		// Parse stopped at the end, at a non-flag (rest[0]) or after a "--" it consumed.
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(positional, rest...), nil
		}
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}
