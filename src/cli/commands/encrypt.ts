/** `processtracker encrypt -p PASSWORD`: the Python tool's `Encrypted …` value for a config file. No database. */
import type { Command } from 'commander'
import { encryptPassword } from '../../index.ts'
import type { Act } from '../action.ts'

interface EncryptOptions {
  password: string
}

/** Adds `encrypt` to the program. */
export function addEncryptCommand(program: Command, act: Act): void {
  program
    .command('encrypt')
    .summary('obfuscate a password for data_store_password in a config file')
    .description(
      'Print the password in the Python ProcessTracker\'s "Encrypted ..." form, for data_store_password in ' +
        'process_tracker_config.ini. This is reversible obfuscation with a public key, not encryption: it only ' +
        'keeps the password from being read at a glance. Needs no database.',
    )
    .requiredOption('-p, --password <password>', 'the password to encrypt')
    .addHelpText(
      'after',
      `
Example:
  $ processtracker encrypt -p 'MySecretPassword'
  Encrypted password is now: Encrypted wqfCvsKKwpzCrsOYw4rCvsKBwrHCrMOawr_DlcOZwro=`,
    )
    .action(
      act((context, command) => {
        const { password } = command.opts<EncryptOptions>()
        const { output } = context
        output.info('Attempting to encrypt the provided password.')
        const encrypted = encryptPassword(password)
        if (output.mode.json) output.json({ encrypted })
        else output.result(`Encrypted password is now: ${encrypted}`)
        output.info("When storing in your config file, please be sure to include 'Encrypted ' as well as the hash.")
        return Promise.resolve(0)
      }),
    )
}
