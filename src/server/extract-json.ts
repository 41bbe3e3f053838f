/** An extract as the API shows it (http.md "EXTRACT"), from a tracker the library returned. */
import type { ExtractTracker } from '../api/extract-tracker.ts'

export function extractJson(extract: ExtractTracker): Record<string, unknown> {
  const { location } = extract
  return {
    extractId: extract.extractId,
    filename: extract.filename,
    fullFilename: extract.fullFilename,
    status: extract.status,
    location: {
      locationId: location.locationId,
      locationName: location.locationName,
      locationPath: location.locationPath,
      locationType: location.locationType,
      bucketName: location.bucketName,
    },
    filetype: extract.filetype,
    compressionType: extract.compressionType,
    fileSize: extract.fileSize,
    writeRecordCount: extract.writeRecordCount,
    loadRecordCount: extract.loadRecordCount,
    writeLowDateTime: extract.writeLowDateTime,
    writeHighDateTime: extract.writeHighDateTime,
    loadLowDateTime: extract.loadLowDateTime,
    loadHighDateTime: extract.loadHighDateTime,
  }
}
